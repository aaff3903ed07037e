"""Gemini generateContent: request, response and stream codecs."""
