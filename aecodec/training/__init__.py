"""Training of the codec model (``aecodec train``)."""
