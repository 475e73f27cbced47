"""Jobs that are not asset materialisations: fetching the monthly SIRENE stock into the landing zone."""

import dagster as dg

from ingestion.download import download_sirene_stock


class SireneDownloadConfig(dg.Config):
    format: str = "parquet"
    """zip (CSV inside, about 2.5 GB) or parquet (about 2 GB); landing reads either."""
    base_url: str | None = None
    """Defaults to LEADS_SIRENE_BASE_URL, then data.gouv.fr's resource links."""


@dg.op(description="Download StockUniteLegale and StockEtablissement into the landing zone (resumes, retries, "
                   "skips an unchanged file); the landing sensor or the next refresh lands them.")
def download_sirene_stock_op(context: dg.OpExecutionContext, config: SireneDownloadConfig) -> None:
    for result in download_sirene_stock(config.format, config.base_url, log=context.log.info):
        context.log.info(f"{result.path.name}: {result.status}, {result.size:,} bytes, sha256 {result.sha256}")


@dg.job(description="Fetch the monthly SIRENE stock from data.gouv.fr into the landing zone.")
def download_sirene_stock_job():
    download_sirene_stock_op()
