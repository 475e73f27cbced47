-- Two revenue ranges of the ICP must not overlap: a company would get the points of both.
select a.min_revenue_eur, b.min_revenue_eur as overlapping_min_revenue_eur
from {{ ref('icp_revenue_ranges') }} as a
join {{ ref('icp_revenue_ranges') }} as b
    on a.min_revenue_eur < b.min_revenue_eur
   and (a.max_revenue_eur is null or a.max_revenue_eur > b.min_revenue_eur)
