"""The pure, synchronous conversation engine."""
