"""Reddit: the Pushshift / Arctic Shift monthly dumps (read by ``thresher extract``) and the
Reddit API through PRAW (``thresher reddit``). Both give the same thread documents
(:mod:`thresher.sources.reddit.tree`), which ``thresher sft`` turns into conversations.
"""
