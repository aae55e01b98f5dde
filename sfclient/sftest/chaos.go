package sftest

import (
	"math/rand/v2"
	"net/http"
)

// chaos holds the probabilistic faults and the count of every fault injected. It is
// guarded by Server.mu.
type chaos struct {
	rate      float64
	rnd       *rand.Rand
	endpoints map[string]bool // nil: every endpoint under /services/data/{ver}

	rowPred func(value string) bool
	rowErr  string

	counts FaultCounts
}

// FaultCounts is what [Server.Faults] reports: the faults the server has injected so far.
type FaultCounts struct {
	// Calls counts the calls answered with an injected failure instead of being served
	// ([Server.FailNext], [Server.Fail503], [Server.DropConnections] and
	// [Server.SetFailureRate]), per endpoint key (see [Server]).
	Calls map[string]int
	// SessionsExpired counts the sessions that reached the [Server.ExpireSessionsAfter]
	// limit (each then answers 401 INVALID_SESSION_ID until its client logs in again).
	SessionsExpired int
	// Rows counts the Bulk ingest rows failed by [Server.FailRow] or
	// [Server.FailRowsWhere]; a row uploaded again in another job counts again.
	Rows int
}

// CallTotal returns the number of calls answered with an injected failure, all endpoints.
func (f FaultCounts) CallTotal() int {
	n := 0
	for _, v := range f.Calls {
		n += v
	}
	return n
}

// SetFailureRate makes each later call to one of endpoints (call-count keys, see [Server];
// none means every endpoint under /services/data/{ver}, the REST and Bulk API, and not the
// login endpoints) answer 503 SERVER_UNAVAILABLE with probability rate. The draws come from
// a PCG generator seeded with seed, one per eligible call in arrival order, so the same
// sequence of calls meets the same faults. Failures queued with [Server.FailNext] are
// served first and draw nothing. A rate of 0 or less turns the random failures off;
// [Server.ClearFaults] does too.
func (s *Server) SetFailureRate(rate float64, seed uint64, endpoints ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chaos.rate = rate
	s.chaos.rnd = rand.New(rand.NewPCG(seed, 0x5f7e57))
	s.chaos.endpoints = nil
	if len(endpoints) > 0 {
		s.chaos.endpoints = map[string]bool{}
		for _, e := range endpoints {
			s.chaos.endpoints[e] = true
		}
	}
}

// FailRowsWhere makes every Bulk ingest row whose key value (the external id for an upsert,
// the Id for an update or delete) satisfies pred fail with sfError, e.g.
// "FIELD_CUSTOM_VALIDATION_EXCEPTION:Learner is archived:--", as [Server.FailRow] does for
// one value. pred runs with the server's lock held: it must be a pure function of its
// argument and must not call the Server. nil, or [Server.ClearFaults], removes it.
func (s *Server) FailRowsWhere(pred func(value string) bool, sfError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chaos.rowPred, s.chaos.rowErr = pred, sfError
}

// Faults returns the counts of the faults injected so far.
func (s *Server) Faults() FaultCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.chaos.counts
	f.Calls = make(map[string]int, len(s.chaos.counts.Calls))
	for k, v := range s.chaos.counts.Calls {
		f.Calls[k] = v
	}
	return f
}

// RecordValues returns, for each record of object in insertion order (soft-deleted ones
// left out), the values of fields (nil when unset; types as [Server.Records] gives them).
// It copies only those fields, so checking a large org does not copy every record.
func (s *Server) RecordValues(object string, fields ...string) [][]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.currentTable(object)
	if t == nil {
		return nil
	}
	fds := make([]*Field, len(fields))
	for i, f := range fields {
		fds[i] = t.field(f)
	}
	out := make([][]any, 0, len(t.records))
	for _, rec := range t.records {
		if rec.deleted {
			continue
		}
		row := make([]any, len(fds))
		for i, f := range fds {
			if f != nil {
				row[i] = rec.get(f)
			}
		}
		out = append(out, row)
	}
	return out
}

// randomFault draws the SetFailureRate failure for a call to endpoint; s.mu is held.
func (s *Server) randomFault(endpoint string, rest bool) *Failure {
	c := &s.chaos
	if c.rate <= 0 || c.rnd == nil {
		return nil
	}
	if c.endpoints == nil && !rest || c.endpoints != nil && !c.endpoints[endpoint] {
		return nil
	}
	if c.rnd.Float64() >= c.rate {
		return nil
	}
	return &Failure{Endpoint: endpoint, Status: http.StatusServiceUnavailable}
}

// countCallFault records a call answered with an injected failure; s.mu is held.
func (s *Server) countCallFault(endpoint string) {
	if s.chaos.counts.Calls == nil {
		s.chaos.counts.Calls = map[string]int{}
	}
	s.chaos.counts.Calls[endpoint]++
}

// rowFault returns the injected sf__Error for a Bulk row whose key is value, if any; s.mu
// is held.
func (s *Server) rowFault(value string) (string, bool) {
	if value == "" {
		return "", false
	}
	e, ok := s.rowFaults[value]
	if !ok && s.chaos.rowPred != nil && s.chaos.rowPred(value) {
		e, ok = s.chaos.rowErr, true
	}
	if ok {
		s.chaos.counts.Rows++
	}
	return e, ok
}

// clearChaos turns the random and predicate faults off (the counts stay); s.mu is held.
func (s *Server) clearChaos() {
	s.chaos.rate, s.chaos.rnd, s.chaos.endpoints = 0, nil, nil
	s.chaos.rowPred, s.chaos.rowErr = nil, ""
}
