"""Asking for JSON that must pass a check: ``response_format`` with the schema while the server
accepts it (the instructions in the prompt alone once it refuses), a truncated answer asked
again with twice the budget, and an answer that fails the check asked again with what failed,
a bounded number of times. Shared by page records and suggested recipes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from thresher.llm.answers import BadAnswer
from thresher.llm.client import ChatClient, ChatReply, EndpointError, FormatRejected
from thresher.llm.config import LLMConfig

T = TypeVar("T")


class Truncated(Exception):
    """The answer was cut off (``finish_reason: length``) at the largest budget allowed."""


class Asker:
    """Structured requests to one client with one configuration's budgets and mode."""

    def __init__(self, client: ChatClient, config: LLMConfig) -> None:
        self.client = client
        self.config = config

    @property
    def mode(self) -> str:
        """json_schema while the server accepts response_format; prompt once it refused it
        (remembered by the client, so every page and request after it skips the refusal)."""
        if self.config.structured == "prompt" or self.client.refuses_response_format:
            return "prompt"
        return "json_schema"

    async def ask_until_valid(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        check: Callable[[str], T],
        reasks: int,
        counts: Counter[str],
        *,
        max_tokens: int | None = None,
    ) -> T:
        """``check(answer)`` of the first answer it accepts; an answer it refuses (BadAnswer)
        is asked again with the message up to ``reasks`` times, then BadAnswer is raised.
        Truncated and RequestTimeout pass through."""
        again = messages
        for n in range(reasks + 1):
            reply = await self.ask(again, schema, counts, max_tokens=max_tokens)
            try:
                return check(reply.content)
            except BadAnswer as e:
                if n == reasks:
                    raise
                counts["llm:reasks"] += 1
                again = [
                    *messages,
                    {"role": "assistant", "content": reply.content},
                    {
                        "role": "user",
                        "content": f"That answer is not valid: {e}. Answer again with only "
                        "the corrected JSON.",
                    },
                ]
        raise AssertionError("unreachable")  # pragma: no cover

    async def ask(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        counts: Counter[str],
        *,
        max_tokens: int | None = None,
    ) -> ChatReply:
        """One complete answer: a truncated one is asked again with a doubled budget up to
        ``max_tokens_cap``, then Truncated."""
        cfg = self.config
        budget = max_tokens or cfg.max_tokens
        while True:
            reply = await self._send(messages, budget, schema, counts)
            counts["llm:tokens:prompt"] += reply.prompt_tokens
            counts["llm:tokens:completion"] += reply.completion_tokens
            if reply.finish_reason != "length":
                return reply
            if budget >= cfg.max_tokens_cap:
                counts["llm:truncated"] += 1
                raise Truncated(f"the answer was cut at {budget} tokens")
            budget = min(cfg.max_tokens_cap, budget * 2)
            counts["llm:retries:length"] += 1

    async def _send(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        schema: dict[str, Any],
        counts: Counter[str],
    ) -> ChatReply:
        """One request; with response_format while the server takes it."""
        payload: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": self.config.temperature,
        }
        if self.mode == "json_schema":
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "record", "schema": schema},
            }
            try:
                return await self.client.complete(payload, counts)
            except FormatRejected as e:
                if self.config.structured == "json_schema":
                    raise EndpointError(
                        f"{self.client.url}: the server refuses response_format: {e}"
                    ) from None
                self.client.refuses_response_format = True  # later: the instructions alone
                counts["llm:response_format_rejected"] += 1
                del payload["response_format"]
        return await self.client.complete(payload, counts)
