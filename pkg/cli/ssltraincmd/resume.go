package ssltraincmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// trainingFlags are the flags that change what training does: a --resume
// that changes any of them is not the continuation of the run that wrote
// the file. (--epochs, --snapshot-every and --init-scale do not: a resumed
// run trains longer, keeps other snapshots, and starts from the file; the
// architecture flags are checked against the file's network itself.)
var trainingFlags = map[string]bool{
	"loss": true, "temp": true, "margin": true, "negatives": true, "normalize": true, "eps": true,
	"lr": true, "momentum": true, "weight-decay": true, "batch": true, "epoch-rows": true, "seed": true,
	"precision": true,
}

// implicitFlags are the values of training flags that files written
// before the flag existed were trained with.
var implicitFlags = map[string]json.RawMessage{"precision": json.RawMessage(`"float64"`)}

// configChanges lists, sorted, the training flags whose values differ
// between the config of the run that wrote a --resume file (old) and this
// run's (new), as "--lr 0.1 → 0.05". Flags old does not record (a file of
// another program) are not compared, except those with an implicit value
// (implicitFlags: a file from before --precision was trained in float64).
func configChanges(old, new string) ([]string, error) {
	var o, n map[string]json.RawMessage
	if err := json.Unmarshal([]byte(old), &o); err != nil {
		return nil, fmt.Errorf("its dualssl.config is not a JSON object: %v", err)
	}
	if err := json.Unmarshal([]byte(new), &n); err != nil {
		return nil, err
	}
	var out []string
	for k, nv := range n {
		ov, ok := o[k]
		if !ok {
			ov, ok = implicitFlags[k]
		}
		if !trainingFlags[k] || !ok || bytes.Equal(ov, nv) {
			continue
		}
		out = append(out, fmt.Sprintf("--%s %s → %s", k, strings.Trim(string(ov), `"`), strings.Trim(string(nv), `"`)))
	}
	sort.Strings(out)
	return out, nil
}

// withResumedAt adds "resumed_at_epoch": epoch to the JSON object config,
// so that the provenance step of a resumed run with changed flags says
// where its segment begins.
func withResumedAt(config string, epoch int) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(config), &m); err != nil {
		return config
	}
	m["resumed_at_epoch"] = json.RawMessage(fmt.Sprint(epoch))
	b, err := json.Marshal(m) // sorted keys, as Env.Config
	if err != nil {
		return config
	}
	return string(b)
}
