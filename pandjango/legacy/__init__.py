"""The legacy proxy: pages of the old monitor, fetched, sanitised and framed for the sections not yet ported; and a stand-in for the demo."""
