package taskbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Result is how one task went.
type Result struct {
	Question string
	Calls    int
	Bytes    int // bytes of results read
	Answer   string
	Err      error
	Trace    []string
}

// Answered reports whether the script reached an answer.
func (r Result) Answered() bool { return r.Err == nil }

// Run runs every task in order on one session.
func Run(ctx context.Context, s *Session, tasks []Task) []Result {
	out := make([]Result, 0, len(tasks))
	for _, t := range tasks {
		s.Reset()
		answer, err := t.Run(ctx, s)
		out = append(out, Result{Question: t.Question, Calls: s.Calls, Bytes: s.Bytes, Answer: answer, Err: err, Trace: s.Trace})
	}
	return out
}

// Print writes the results as a table, then the totals and the size of tools/list.
func Print(w io.Writer, s *Session, results []Result) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "QUESTION\tCALLS\tBYTES READ\tANSWER")
	calls, bytes, answered := 0, 0, 0
	for _, r := range results {
		answer := r.Answer
		if r.Err != nil {
			answer = "NOT ANSWERED: " + r.Err.Error()
			var te *ToolError
			if errors.As(r.Err, &te) {
				answer = "NOT ANSWERED: " + te.Tool + " answered " + te.Text
			}
		} else {
			answered++
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", r.Question, r.Calls, r.Bytes, cut(answer, 110))
		calls += r.Calls
		bytes += r.Bytes
	}
	fmt.Fprintf(tw, "TOTAL (%d of %d answered)\t%d\t%d\t\n", answered, len(results), calls, bytes)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "tools/list: %d tools, %d bytes (read once per session)\n", len(s.tools), s.ListBytes)
	return err
}

func cut(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
