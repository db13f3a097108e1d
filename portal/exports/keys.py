"""The staff keys table as a DataFrame with declared columns and types."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

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


@dataclass(frozen=True)
class KeyRow:
    label: str
    key: str  # masked: the export never holds a usable key
    status: str
    created_at: datetime
    created_by: str | None
    last_used_at: datetime | None
    last_used_ip: str | None
    last_used_endpoint: str | None
    ip_allowlist: str
    revoked_at: datetime | None
    revoked_by: str | None


def keys_frame(rows: Iterable[KeyRow]) -> pd.DataFrame:
    records = [row.__dict__ for row in rows]
    frame = pd.DataFrame.from_records(records, columns=list(KEY_COLUMNS))
    for column, dtype in KEY_COLUMNS.items():
        if dtype.startswith("datetime"):
            frame[column] = pd.to_datetime(frame[column], utc=True).astype(dtype)
        else:
            frame[column] = frame[column].astype(dtype)
    return frame
