"""Pure export pipeline: DataFrames → CSV or JSON bytes. No request globals in here."""
