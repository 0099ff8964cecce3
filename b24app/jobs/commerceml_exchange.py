"""RQ entry points of the CommerceML exchange endpoint (issue 16): thin wrappers that take IDs, build their
collaborators from the process runtime and call the catalog import (`jobs/commerceml_import.py`) or the orders
side (`jobs/commerceml_orders.py`). They exist so the endpoint answers 1C at once and reports `progress` while
the work runs; the progress of an import is kept in `job.meta` (done, total) for the endpoint's answers."""

from __future__ import annotations

from rq import get_current_job

from b24app.runtime import process_runtime


def _progress(done: int, total: int) -> None:
    job = get_current_job()
    if job is None:
        return
    job.meta.update(done=int(done), total=int(total))
    job.save_meta()


def import_catalog(member_id: str, base_id: int, exchange_id: str, paths: list[str]) -> dict:
    """The catalog files of one exchange into the catalog pipeline, in the order given."""
    from b24app.jobs.commerceml_import import import_exchange

    result = import_exchange(member_id, base_id, exchange_id, paths, progress=_progress)
    return result if isinstance(result, dict) else {"result": result}


def apply_orders(member_id: str, base_id: int, exchange_id: str, path: str) -> dict:
    """An orders document 1C sent back (statuses, payments, shipments) applied to the deals."""
    from b24app.jobs.commerceml_orders import apply_from_1c

    result = apply_from_1c(process_runtime(), member_id, base_id, path)
    return result if isinstance(result, dict) else {"result": result}
