"""The 2023 commissioner's report on Solihull children's services, as the pages cite it."""

from __future__ import annotations

#: How the pages cite the report (the data section was prepared by Solihull's BI team).
REPORT_CITATION = (
    "Commissioner's report on children's services in Solihull Metropolitan Borough Council, "
    "report to the Secretary of State for Education by the Children's Services Commissioner, "
    "March 2023 (GOV.UK: 'Solihull children's services: commissioner report'), data section "
    "by Solihull Council's Business Intelligence & Improvement Team"
)
