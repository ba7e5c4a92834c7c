// Package toolsearch ranks tools for a question in plain words with BM25 over each tool's
// name (CamelCase and snake_case split, weighted most), description and parameter names.
// It lets an assistant find one of several hundred tools without reading their definitions.
package toolsearch

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// Doc is what a tool is found by.
type Doc struct {
	Name        string
	Description string
	Params      []string // parameter names
}

// Hit is a ranked tool.
type Hit struct {
	Name  string
	Score float64
}

// Field weights: a word of the name says more about a tool than a word of its description.
const (
	nameWeight  = 3
	paramWeight = 1.5
	descWeight  = 1
	k1, b       = 1.2, 0.75
)

// Index is an immutable BM25 index.
type Index struct {
	docs   []indexed
	df     map[string]int
	avgLen float64
}

type indexed struct {
	name  string
	words []string           // the terms of the name, once each
	tf    map[string]float64 // weighted term frequency
	len   float64
}

// New indexes docs.
func New(docs []Doc) *Index {
	ix := &Index{df: map[string]int{}}
	total := 0.0
	for _, d := range docs {
		tf := map[string]float64{}
		add := func(text string, w float64) {
			for _, t := range Terms(text) {
				tf[t] += w
			}
		}
		add(d.Name, nameWeight)
		add(d.Description, descWeight)
		add(strings.Join(d.Params, " "), paramWeight)
		l := 0.0
		for t, f := range tf {
			ix.df[t]++
			l += f
		}
		total += l
		ix.docs = append(ix.docs, indexed{name: d.Name, words: unique(Terms(d.Name)), tf: tf, len: l})
	}
	if len(docs) > 0 {
		ix.avgLen = total / float64(len(docs))
	}
	return ix
}

// Search returns at most k tools ranked for the query, best first; tools sharing no
// word with the query are left out.
func (ix *Index) Search(query string, k int) []Hit {
	terms := queryTerms(query)
	asked := map[string]bool{}
	for _, t := range terms {
		asked[t] = true
	}
	if asked["list"] && asked["get"] && plural(query) {
		// "show the deployments": a plural asks for a list, not one Get.
		delete(asked, "get")
	}
	n := float64(len(ix.docs))
	var hits []Hit
	for _, d := range ix.docs {
		score := 0.0
		for _, t := range terms {
			f := d.tf[t]
			if f == 0 {
				continue
			}
			df := float64(ix.df[t])
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			score += idf * f * (k1 + 1) / (f + k1*(1-b+b*d.len/ix.avgLen))
		}
		if score > 0 {
			// A tool whose name says nothing but what was asked is the obvious one: "list
			// variables and secrets" is ListVariables, not UpdateVariableIsSecret, whose
			// name has a word more (and ListProcedures comes before ListFullProcedures).
			score *= 1 + nameCoverage(d.words, asked)
			if askedVerb(asked) && len(d.words) > 0 && !asked[d.words[0]] {
				// "list ..." asks for a List operation: another verb is a worse match.
				score *= verbMismatch
			}
			hits = append(hits, Hit{Name: d.name, Score: score})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].Name < hits[j].Name
	})
	if k > 0 && len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// verbs are the operation verbs a plain question names unambiguously ("show" and "find"
// become list and get by synonyms). Words that are also nouns (update, build, deploy)
// are not among them: "what failed in the last build" asks for no verb.
var verbs = map[string]bool{"list": true, "get": true, "create": true, "delete": true, "rename": true, "copy": true}

// verbMismatch weighs a tool whose operation verb is not the one asked for.
const verbMismatch = 0.5

func askedVerb(asked map[string]bool) bool {
	for w := range asked {
		if verbs[w] {
			return true
		}
	}
	return false
}

// plural reports whether the question names things in the plural ("deployments"), a
// word of its own rather than one synonyms stand for.
func plural(text string) bool {
	for _, w := range words(text) {
		w = strings.ToLower(w)
		if stopWords[w] || synonyms[w] != nil || len(w) < 2 {
			continue
		}
		if stem(w) != w {
			return true
		}
	}
	return false
}

// nameCoverage is the share of a tool name's words that the query asked for.
func nameCoverage(words []string, asked map[string]bool) float64 {
	if len(words) == 0 {
		return 0
	}
	n := 0
	for _, w := range words {
		if asked[w] {
			n++
		}
	}
	return float64(n) / float64(len(words))
}

func unique(terms []string) []string {
	seen := map[string]bool{}
	out := terms[:0:0]
	for _, t := range terms {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// stopWords carry no meaning for finding a tool.
var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "in": true, "on": true, "to": true, "for": true,
	"and": true, "or": true, "is": true, "are": true, "was": true, "what": true, "which": true,
	"my": true, "me": true, "i": true, "it": true, "its": true, "with": true, "by": true, "from": true,
	"be": true, "this": true, "that": true, "how": true, "do": true, "does": true, "all": true,
	"komodo": true, "tool": true, "tools": true, "read": true, "write": true, "execute": true,
	"give": true, "not": true, "as": true, "at": true, "when": true, "can": true,
}

// synonyms map the words operators use to the words of Komodo's operation names. They
// apply to queries only: a tool is indexed by its own words.
var synonyms = map[string][]string{
	"logs": {"log"}, "failed": {"fail", "update"}, "failure": {"fail", "update"}, "failing": {"fail"},
	"error": {"fail", "log"}, "errors": {"fail", "log"},
	"history": {"update"}, "changed": {"update"}, "changes": {"update"}, "activity": {"update"},
	"recent": {"update"}, "recently": {"update"}, "happened": {"update"},
	"reboot": {"restart"}, "restarting": {"restart"}, "redeploy": {"deploy"}, "deploying": {"deploy"}, "deployed": {"deploy"},
	"compose": {"stack"}, "services": {"stack", "service"},
	"host": {"server"}, "hosts": {"server"}, "machine": {"server"}, "machines": {"server"}, "node": {"server", "node"},
	"job": {"update"}, "jobs": {"update"}, "health": {"state"}, "healthy": {"state"}, "status": {"state"}, "running": {"state"},
	"cpu": {"stats"}, "memory": {"stats"}, "disk": {"stats"}, "usage": {"stats"}, "metrics": {"stats"}, "load": {"stats"},
	"secret": {"variable", "secret"}, "secrets": {"variable", "secret"}, "env": {"variable"},
	"find": {"find", "search", "list"}, "lookup": {"search"}, "grep": {"search"},
	"show": {"list", "get"}, "display": {"list", "get"}, "view": {"list", "get"}, "see": {"list", "get"},
	"pipeline": {"procedure"}, "workflow": {"procedure"}, "script": {"action"}, "scripts": {"action"},
	"alarm": {"alert"}, "alarms": {"alert"}, "notification": {"alert"},
	"shell": {"terminal", "execute"}, "command": {"terminal", "execute"},
	"stopped": {"stop"}, "stopping": {"stop"}, "started": {"start"}, "building": {"build"}, "built": {"build"},
}

// Terms splits text into lower-case, stemmed terms without stop words: "ListDeployments"
// -> list, deployment; "server_id" -> server, id.
func Terms(text string) []string {
	var out []string
	for _, w := range words(text) {
		w = strings.ToLower(w)
		if stopWords[w] || len(w) < 2 {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// queryTerms are the terms of a question, with the operation-name words its words mean.
func queryTerms(text string) []string {
	var out []string
	for _, w := range words(text) {
		w = strings.ToLower(w)
		if stopWords[w] || len(w) < 2 {
			continue
		}
		if syn, ok := synonyms[w]; ok {
			out = append(out, syn...)
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// words splits on non-letters and on CamelCase boundaries (keeping acronyms together).
func words(text string) []string {
	var out []string
	rs := []rune(text)
	start := -1
	flush := func(i int) {
		if start >= 0 {
			out = append(out, string(rs[start:i]))
		}
		start = -1
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start >= 0 && unicode.IsUpper(r) {
			prevLower := unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if prevLower || (unicode.IsUpper(rs[i-1]) && nextLower) {
				flush(i)
			}
		}
		if start < 0 {
			start = i
		}
	}
	flush(len(rs))
	return out
}

// stem strips the plural and verb endings that matter for tool names.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return w[:len(w)-1]
	}
	return w
}
