package ui

// Explain is explain, for the tests of package ui_test.
func Explain(err error) struct{ Tone, Text, Todo string } {
	s := explain(err)
	return struct{ Tone, Text, Todo string }{s.Tone, s.Text, s.Todo}
}
