"""What the two dashboards share, kept once: settings helpers, the JSON envelope, the
modification-time cache, staleness, schema labels, the base page, CSS and Chart.js serving."""
