"""``POST /extract`` with a ``schema``: the document's title, the page's H1-H3, its Markdown
and the schema go to the OpenAI-compatible endpoint through :mod:`thresher.llm` (its
validation, re-asking, chunking and response cache); one chat client, opened with the
server, is shared by every request, so its limits on requests in flight and per minute hold
across clients of the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from thresher.errors import ConfigError
from thresher.serve.errors import BadRequest, UpstreamError

if TYPE_CHECKING:
    from thresher.document import Document
    from thresher.llm.client import ChatClient
    from thresher.llm.config import LLMConfig

__all__ = ["SchemaAnswerer", "llm_settings"]


def llm_settings(
    base_url: str | None, model: str | None, prompt: str | None, cache: str | None
) -> LLMConfig | None:
    """The endpoint settings of ``serve --llm-*`` (None when neither URL nor model is given);
    one of them alone, or a bad value, is one line naming the option."""
    if base_url is None and model is None:
        return None
    from thresher.llm.options import merge_llm

    return merge_llm(
        None, need_schema=False, base_url=base_url, model=model, prompt=prompt, cache=cache
    )


class SchemaAnswerer:
    """Records for documents against per-request schemas, over one shared chat client."""

    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        self.client: ChatClient | None = None

    async def open(self, _app: object = None) -> None:
        from thresher.llm.client import ChatClient

        self.client = ChatClient.from_config(self.config)
        await self.client.__aenter__()

    async def close(self, _app: object = None) -> None:
        if self.client is not None:
            await self.client.__aexit__(None, None, None)
            self.client = None

    async def answer(
        self, doc: Document, schema: dict[str, Any], headings: Sequence[Sequence[Any]] = ()
    ) -> Any:
        """The validated record of one document, the model told its title and ``headings``
        (the page's H1-H3) before its main content, as extract does; a bad schema is a 400,
        a model that gives no valid record or an endpoint that cannot be used a 502."""
        from thresher.llm.client import EndpointError
        from thresher.llm.extractor import aextract_record

        try:
            result = await aextract_record(
                doc.markdown or doc.text,
                schema,
                self.config,
                client=self.client,
                title=doc.title,
                headings=headings,
            )
        except ConfigError as e:
            raise BadRequest(f"schema: {e}") from None
        except EndpointError as e:
            raise UpstreamError(f"the model endpoint: {e}") from None
        if result.record is None:
            raise UpstreamError(f"the model gave no valid record ({result.error}: {result.detail})")
        return result.record
