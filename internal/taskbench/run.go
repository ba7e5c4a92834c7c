package taskbench

import (
	"context"
	"encoding/json"
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
	Requests int // requests Komodo received (-1: not counted)
	Answer   string
	Err      error
	Trace    []string
}

// Run runs every task in order on one session.
func Run(ctx context.Context, s *Session, tasks []Task) []Result {
	out := make([]Result, 0, len(tasks))
	for _, t := range tasks {
		s.Reset()
		answer, err := t.Run(ctx, s)
		out = append(out, Result{Question: t.Question, Calls: s.Calls, Bytes: s.Bytes, Requests: s.requests(), Answer: answer, Err: err, Trace: s.Trace})
	}
	return out
}

// Print writes the results as a table, then the totals and the size of tools/list.
func Print(w io.Writer, s *Session, results []Result) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "QUESTION\tCALLS\tBYTES READ\tKOMODO REQUESTS\tANSWER")
	calls, bytes, requests, answered := 0, 0, 0, 0
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
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", r.Question, r.Calls, r.Bytes, r.Requests, cut(answer, 100))
		calls += r.Calls
		bytes += r.Bytes
		requests += r.Requests
	}
	fmt.Fprintf(tw, "TOTAL (%d of %d answered)\t%d\t%d\t%d\t\n", answered, len(results), calls, bytes, requests)
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

// Sizes calls each of Everyday once and returns the bytes of each result's text.
func Sizes(ctx context.Context, s *Session) ([]int, error) {
	out := make([]int, len(Everyday))
	for i, c := range Everyday {
		args := c.Args
		if args == nil {
			args = map[string]any{}
		}
		s.Reset()
		if _, err := s.Use(ctx, c.Tool, args, c.Tool); err != nil {
			return nil, err
		}
		out[i] = s.Bytes
	}
	return out, nil
}

// PrintSizes writes the sizes of the everyday calls and their total.
func PrintSizes(w io.Writer, sizes []int) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "EVERYDAY CALL\tBYTES")
	total := 0
	for i, n := range sizes {
		args := ""
		if a := Everyday[i].Args; a != nil {
			b, _ := json.Marshal(a)
			args = " " + string(b)
		}
		fmt.Fprintf(tw, "%s%s\t%d\n", Everyday[i].Tool, args, n)
		total += n
	}
	fmt.Fprintf(tw, "TOTAL\t%d\n", total)
	return tw.Flush()
}
