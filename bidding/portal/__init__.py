"""The public portal: announcements and lots as a trading-center site shows them."""
