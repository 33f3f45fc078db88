"""The API's endpoints: SectionView (access, parameters, cached answer, envelope) and the registry of endpoints by name, the meta endpoints and quick search."""
