package backfill_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
)

// placeholdRunFolder writes RUN_FOLDER for the run folder dir in b, as printed and as JSON
// escapes it, and a path under it with / as on Linux and macOS: the golden files hold on
// Windows, where dir is C:\Users\...\run and the report's path RUN_FOLDER\report.html.
func placeholdRunFolder(b []byte, dir string) []byte {
	js, _ := json.Marshal(dir)
	b = bytes.ReplaceAll(b, js[1:len(js)-1], []byte("RUN_FOLDER"))
	b = bytes.ReplaceAll(b, []byte(dir), []byte("RUN_FOLDER"))
	if filepath.Separator != '/' {
		b = bytes.ReplaceAll(b, []byte("RUN_FOLDER"+string(filepath.Separator)), []byte("RUN_FOLDER/"))
	}
	return b
}
