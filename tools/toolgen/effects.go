package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"sort"

	"go.yaml.in/yaml/v3"
)

// effectKinds are the effects of api/effects.yaml, the same as catalog.Effect's (session is
// for hand-written tools only). destructive ones ask under KOMODO_CONFIRM=destructive.
var effectKinds = map[string]struct{ destructive bool }{
	"read": {}, "configure": {}, "disrupt": {},
	"destroy": {destructive: true}, "run_code": {destructive: true}, "privilege": {destructive: true},
}

// readEffects reads api/effects.yaml (effect -> operations) into operation -> effect. An
// operation listed twice, or an effect that does not exist, is an error.
func readEffects(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var byEffect map[string][]string
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&byEffect); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]string{}
	names := make([]string, 0, len(byEffect))
	for e := range byEffect {
		names = append(names, e)
	}
	sort.Strings(names)
	for _, e := range names {
		if _, ok := effectKinds[e]; !ok {
			return nil, fmt.Errorf("%s: unknown effect %q (want one of read, configure, disrupt, destroy, run_code, privilege)", path, e)
		}
		for _, op := range byEffect[e] {
			if prev, dup := out[op]; dup {
				return nil, fmt.Errorf("%s: %s is listed under %s and %s", path, op, prev, e)
			}
			out[op] = e
		}
	}
	return out, nil
}

// effectOf is an operation's effect and the hints it gives. An operation without an
// effect fails the generation: nothing is exposed unclassified. The read module and only
// it is read.
func effectOf(op, module string, effects map[string]string) (effect string, readOnly, destructive bool, err error) {
	effect, ok := effects[op]
	if !ok {
		return "", false, false, fmt.Errorf("operation %s has no effect in api/effects.yaml: review it and add it under read, configure, disrupt, destroy, run_code or privilege", op)
	}
	reads := slices.Contains([]string{"read", "user"}, module)
	if (effect == "read") != reads {
		return "", false, false, fmt.Errorf("operation %s of module %s is listed under %s in api/effects.yaml", op, module, effect)
	}
	return effect, effect == "read", effectKinds[effect].destructive, nil
}
