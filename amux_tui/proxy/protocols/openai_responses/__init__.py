"""OpenAI Responses: request, response and stream codecs."""
