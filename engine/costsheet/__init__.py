"""costsheet: the cost of training a large language model, planned in Excel."""
