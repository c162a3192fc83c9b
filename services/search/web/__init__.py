"""Templates, assets and view helpers of the search service's public pages."""
