"""What runs on a party's own machine: sealing, the HTTP client, the bidder CLI, verifying."""
