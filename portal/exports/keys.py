"""The staff keys table as a DataFrame with declared columns and types."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from portal.domain.keys import masked

KEY_COLUMNS = {
    "label": "string",
    "key": "string",
    "status": "string",
    "created_at": "datetime64[ns, UTC]",
    "created_by": "string",
    "last_used_at": "datetime64[ns, UTC]",
    "last_used_ip": "string",
    "last_used_endpoint": "string",
    "ip_allowlist": "string",
    "revoked_at": "datetime64[ns, UTC]",
    "revoked_by": "string",
}


def keys_frame(keys: Iterable) -> pd.DataFrame:
    """ApiKey rows → the exported table. Keys appear masked: an export never holds a usable key."""
    records = [{
        "label": k.label, "key": masked(k.prefix), "status": "revoked" if k.revoked_at else "active",
        "created_at": k.created_at, "created_by": k.created_by.email if k.created_by else None,
        "last_used_at": k.last_used_at, "last_used_ip": k.last_used_ip, "last_used_endpoint": k.last_used_endpoint,
        "ip_allowlist": " ".join(k.ip_allowlist or []), "revoked_at": k.revoked_at,
        "revoked_by": k.revoked_by.email if k.revoked_by else None,
    } for k in keys]
    frame = pd.DataFrame.from_records(records, columns=list(KEY_COLUMNS))
    for column, dtype in KEY_COLUMNS.items():
        if dtype.startswith("datetime"):
            frame[column] = pd.to_datetime(frame[column], utc=True).astype(dtype)
        else:
            frame[column] = frame[column].astype(dtype)
    return frame
