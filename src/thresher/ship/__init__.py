"""The ship stage: what is done with a finished corpus — its dataset card, version diffs, and
exports for instruction tuning (SFT) and retrieval (RAG chunks)."""
