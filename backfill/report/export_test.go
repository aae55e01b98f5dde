package report

// CLIView is testView, for the external tests.
var CLIView = testView
