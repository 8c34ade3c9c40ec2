-- Every (R, F) score pair of the 5 x 5 grid must fall in exactly one rfm_segments rule; a row returned
-- here is a pair with no segment or with several.
with

grid as (

    select r.score as r_score, f.score as f_score
    from range(1, 6) as r(score), range(1, 6) as f(score)

),

matches as (

    select grid.r_score, grid.f_score, count(rules.rfm_segment) as segment_count
    from grid
    left join {{ ref('rfm_segments') }} as rules
        on grid.r_score between rules.r_score_min and rules.r_score_max
        and grid.f_score between rules.f_score_min and rules.f_score_max
    group by grid.r_score, grid.f_score

)

select * from matches where segment_count != 1
