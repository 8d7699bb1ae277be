package github

// writesPerHour is GitHub's documented cap on content-creating requests
// (500 an hour, besides 80 a minute), which requestsPerMinute alone would
// exceed within the hour; going past it earns secondary rate limits.
const writesPerHour = 500
