-- How the two views of the invoice customers agree: one row per ML persona and classic RFM segment with
-- the customers in both, and that count as a share of the persona and of the RFM segment. Customers left
-- out of the RFM quintiles (no net purchase) appear under the RFM segment 'Not scored'.

with

personas as (

    select
        persona_name,
        coalesce(rfm_segment, 'Not scored') as rfm_segment,
        monetary
    from {{ ref('invoice_customer_personas') }}

),

crossed as (

    select
        persona_name,
        rfm_segment,
        count(*) as customer_count,
        sum(cast(monetary as decimal(18, 4))) as net_revenue

    from personas
    group by persona_name, rfm_segment

)

select
    persona_name,
    rfm_segment,
    customer_count,
    customer_count / sum(customer_count) over (partition by persona_name) as share_of_persona,
    customer_count / sum(customer_count) over (partition by rfm_segment) as share_of_rfm_segment,
    cast(round(net_revenue, 2) as decimal(38, 2)) as net_revenue

from crossed
order by persona_name asc, customer_count desc, rfm_segment asc
