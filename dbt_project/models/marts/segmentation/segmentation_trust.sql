{#-
  How far the active segmentation of each source can be trusted, in one row and one sentence: the report,
  the dashboard and `smartcart run` show it. The verdict reads the evidence of the fit:
  - silhouette (Kaufman and Rousseeuw: below 0.25 no substantial structure, 0.25 to 0.5 weak to moderate,
    above 0.5 reasonable to strong);
  - the least stable persona's bootstrap Jaccard (below 0.6 not to be trusted, below 0.75 doubtful);
  - HDBSCAN's noise share (at least 0.9: it finds no dense groups at all).
  strong: silhouette at least 0.5 and every persona stable; weak: silhouette below 0.25, a persona below 0.6
  or HDBSCAN finding no dense groups; moderate otherwise.
-#}

with

models as (

    select
        segmentation_name,
        model_version,
        k,
        silhouette,
        data_warnings
    from {{ ref('segmentation_models') }}
    where is_active_model

),

stability as (

    select
        segmentation_name,
        min(bootstrap_jaccard) as min_bootstrap_jaccard,
        {{ ordered_string_agg(
            "case when is_flagged_unstable then persona_name || ' (' || " ~ format_number('bootstrap_jaccard', 2) ~ " || ')' end",
            'persona_name', ', ') }} as unstable_personas
    from {{ ref('persona_stability') }}
    where is_active_model
    group by segmentation_name

),

agreement as (

    select
        segmentation_name,
        max(case when algorithm = 'hdbscan' then noise_share end) as hdbscan_noise_share,
        max(case when algorithm = 'hdbscan' then groups_found end) as hdbscan_groups,
        -- The second row: the Gaussian mixture by BIC, or K-Means when the model itself is a mixture.
        max(case when algorithm_order = 1 then algorithm end) as alternative_algorithm,
        max(case when algorithm_order = 1 then ari_with_model end) as alternative_ari,
        max(case when algorithm = 'ward' then ari_with_model end) as ward_ari
    from {{ ref('algorithm_comparison') }}
    where is_active_model
    group by segmentation_name

),

judged as (

    select
        models.segmentation_name,
        models.model_version,
        models.k,
        models.silhouette,
        stability.min_bootstrap_jaccard,
        coalesce(stability.unstable_personas, '') as unstable_personas,
        agreement.hdbscan_noise_share,
        agreement.hdbscan_groups,
        agreement.alternative_algorithm,
        agreement.alternative_ari,
        agreement.ward_ari,
        models.data_warnings,
        case
            when models.silhouette < 0.25 or stability.min_bootstrap_jaccard < 0.6
                or agreement.hdbscan_noise_share >= 0.9 then 'weak'
            when models.silhouette >= 0.5 and stability.min_bootstrap_jaccard >= 0.75 then 'strong'
            else 'moderate'
        end as structure_strength
    from models
    inner join stability using (segmentation_name)
    inner join agreement using (segmentation_name)

)

select
    *,
    case structure_strength
        when 'strong'
            then 'Strong segments: well separated (silhouette ' || {{ format_number('silhouette', 2) }}
                || ') and every persona stable under resampling (lowest Jaccard '
                || {{ format_number('min_bootstrap_jaccard', 2) }}
                || ').'
        when 'moderate'
            then 'Moderate segments: real tendencies with soft borders (silhouette '
                || {{ format_number('silhouette', 2) }}
                || ', lowest persona Jaccard '
                || {{ format_number('min_bootstrap_jaccard', 2) }}
                || '); act on the profiles, expect customers near a border to move.'
        else 'Weak segments: the data shows no clear groups ('
            || {{ join_array(drop_nulls(array_of([
                "case when silhouette < 0.25 then 'silhouette ' || " ~ format_number('silhouette', 2) ~ " || ' is below 0.25' end",
                "case when min_bootstrap_jaccard < 0.6 then " ~ sql_string("a persona's bootstrap Jaccard is ") ~ " || " ~ format_number('min_bootstrap_jaccard', 2) ~ " end",
                "case when hdbscan_noise_share >= 0.9 then 'HDBSCAN calls ' || " ~ format_number('100 * hdbscan_noise_share', 0) ~ " || '% of the points noise' end",
            ])), '; ') }}
            || '). Treat the personas as a convenient split of a continuum, not as distinct kinds of customers.'
    end
    || case when data_warnings <> '' then ' Data limits: ' || data_warnings || '.' else '' end as verdict

from judged
