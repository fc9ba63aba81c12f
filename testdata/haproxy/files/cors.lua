-- stub standing in for the CORS library a real-world config loads
core.Debug("cors stub loaded")
