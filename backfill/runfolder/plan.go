package runfolder

// Plan is plan.json: what `import --plan DIR` and `resume DIR` need to load exactly the
// reviewed plan.
type Plan struct {
	Export          string    `json:"export"`
	Object          string    `json:"object"`
	ExternalIDField string    `json:"external_id_field"`
	Fields          []string  `json:"fields"`       // to_import.csv's header
	HeaderBytes     int64     `json:"header_bytes"` // length of that header line
	ToImportSHA256  string    `json:"to_import_sha256"`
	Parts           []Part    `json:"parts"`
	Mapping         []Mapping `json:"mapping"`
	UpdateStale     bool      `json:"update_stale"`
	InstanceURL     string    `json:"instance_url"`
	APIVersion      string    `json:"api_version"`
	// FoldKeys: keys compare case-insensitively (the external id field is not
	// case-sensitive), as they did when the plan was made.
	FoldKeys bool `json:"fold_keys"`
	// Flags are the values of the flags that shaped the plan (export, since, date-column,
	// object, mapping, update-stale, ...): import --plan refuses to change them.
	Flags map[string]string `json:"flags"`
	// Login is how the plan's login was given (no secret): commands on the folder reuse it
	// unless told otherwise. Nil for a plan made before it was recorded.
	Login *Login `json:"login,omitempty"`
	// Seal records the files, org, user and version the plan was made with.
	Seal *Seal `json:"seal"`
	// Approval is who approved the plan for loading, sealed over Seal (seal.go); nil until
	// someone does.
	Approval *Approval `json:"approval,omitempty"`
}

// Login is how a login was given, without its secrets: a Salesforce CLI alias, or an
// instance (and login host) with the kind of credential the environment held.
type Login struct {
	TargetOrg   string `json:"target_org,omitempty"`
	InstanceURL string `json:"instance_url,omitempty"`
	LoginURL    string `json:"login_url,omitempty"`
	Sandbox     bool   `json:"sandbox,omitempty"`
	// Flow is the authentication flow (sfclient.Flow: sf-cli, access-token, jwt, ...).
	Flow string `json:"flow"`
}

// Part is a byte range of to_import.csv's records uploaded as one Bulk job (the header is
// sent before each part).
type Part struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	Rows  int   `json:"rows"`
}

// Rows returns the rows of every part.
func (p *Plan) Rows() int {
	n := 0
	for _, pt := range p.Parts {
		n += pt.Rows
	}
	return n
}

// Mapping is one export column mapped to a Salesforce field.
type Mapping struct {
	Column string `json:"column"`
	Field  string `json:"field"`
	Type   string `json:"type"`
	Source string `json:"source"` // "sdl", "api name", "label" or "key"
}
