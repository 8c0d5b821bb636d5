"""The trading center's domain on a small kernel (trading.kernel)."""
