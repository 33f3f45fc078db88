"""The API's endpoints: SectionView (section permission, parameters, cached answer), the endpoints bound from the URLconf, the meta endpoints, quick search."""
