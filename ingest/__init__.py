"""PDF → pages → blocks (text | table) → facts + chunks."""
