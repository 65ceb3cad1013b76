"""The ship stage: what is done with a finished corpus — its dataset card, version diffs, and
exports for instruction tuning (SFT) and retrieval (RAG chunks).

threads.py: forum records to Thread/Post; sft.py: threads to Alpaca/messages lines (template.py:
the instruction template); chunks.py: documents to retrieval chunks; rows.py: the output
folder both write."""
