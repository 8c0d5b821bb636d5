"""Each bidder's own result after the opening: outcome, qualification, rank, award, notices."""
