"""HTTP helpers both doors use: streamed downloads, the error answers, the API contract's constants."""
