"""Server-sent events, read line by line: nothing is buffered beyond the current event."""

from __future__ import annotations

from collections.abc import AsyncIterator

from gouvernail.gateway.providers.errors import bad_response


async def sse_events(lines: AsyncIterator[str], provider: str) -> AsyncIterator[tuple[str, str]]:
    """``(event, data)`` for each event of the stream (``event`` is ``""`` when the event has
    no name, as in OpenAI's streams). A line that is not an SSE field is upstream garbage."""
    event = ""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "", []
            continue
        if line[0] == ":":
            continue  # comment (keep-alive)
        field, colon, value = line.partition(":")
        if not colon and field not in ("data", "event"):
            raise bad_response(provider, "a stream line is not a server-sent event field")
        if value[:1] == " ":
            value = value[1:]
        if field == "data":
            data.append(value)
        elif field == "event":
            event = value
        elif field not in ("id", "retry"):
            raise bad_response(provider, "a stream line is not a server-sent event field")
    if data:
        yield event, "\n".join(data)
