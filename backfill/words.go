package backfill

import "fmt"

// Words is how a front end names its own controls in the job's sentences. A warning's fix,
// a failing check's fix or an undo plan's detail that says what to change names the option
// or the next command only through Words: the CLI says "--encoding windows-1252" and
// "backfill verify DIR", a web page "the Encoding setting" and "the Verify button".
type Words interface {
	// Option names an option, with its value when value is not "".
	Option(o Option, value string) string
	// Command names a job to run next, on the run folder dir when it is not "".
	Command(c Command, dir string) string
	// Help names where a job's options are explained.
	Help(c Command) string
	// Login names how a login is given (the CLI: its flags and environment variables).
	Login() string
}

// PlainWords names options and commands by the job's own names. It is the default of a
// front end that gives no [Words].
type PlainWords struct{}

// Option implements [Words].
func (PlainWords) Option(o Option, value string) string {
	if value == "" {
		return fmt.Sprintf("the %s option", o)
	}
	return fmt.Sprintf("the %s option %s", o, value)
}

// Command implements [Words].
func (PlainWords) Command(c Command, dir string) string {
	if dir == "" {
		return fmt.Sprintf("the %s job", c)
	}
	return fmt.Sprintf("the %s job on %s", c, dir)
}

// Help implements [Words].
func (PlainWords) Help(c Command) string { return fmt.Sprintf("the options of the %s job", c) }

// Login implements [Words].
func (PlainWords) Login() string { return "the login" }
