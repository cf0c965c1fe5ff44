"""Finishing: turning a provider's clip into a platform-ready export (size, captions, logo,
end card, provenance). A library: no models, no views; the caller stores what it returns."""
