"""Questions → verified answers; the CLI; evaluation."""
