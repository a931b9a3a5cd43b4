package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

var nan = math.NaN()

// row is one figure of the report: respd's value, redis-server's value
// for the same measurement, and the goal it is held to.
type row struct {
	figure       string
	unit         string
	respd, redis float64 // NaN where a figure does not apply
	ratio        float64 // respd/redis; NaN when not meaningful
	goal         string
	met          string
}

// table collects the rows in the order they are measured, and notes on
// how to read them, printed under the table.
type table struct {
	rows  []row
	notes []string
}

// note adds a line printed under the table.
func (t *table) note(s string) { t.notes = append(t.notes, s) }

// ratio adds a figure whose goal bounds respd/redis.
func (t *table) ratio(figure, unit string, a, b float64, op string, limit float64) {
	r := a / b
	t.rows = append(t.rows, row{figure, unit, a, b, r, fmt.Sprintf("ratio %s %.2f", op, limit), verdict(r, op, limit)})
}

// self adds a figure whose goal bounds respd's own value; redis-server's
// is shown for comparison.
func (t *table) self(figure, unit string, a, b float64, op string, limit float64) {
	t.rows = append(t.rows, row{figure, unit, a, b, nan, fmt.Sprintf("respd %s %s", op, format(limit, unit)), verdict(a, op, limit)})
}

// info adds a figure without a goal.
func (t *table) info(figure, unit string, a, b float64) {
	t.rows = append(t.rows, row{figure, unit, a, b, a / b, "", ""})
}

// failed records a measurement that could not be made.
func (t *table) failed(figure string, err error) {
	t.rows = append(t.rows, row{figure, "", nan, nan, nan, "", "error: " + strings.ReplaceAll(err.Error(), "\n", " ")})
}

func verdict(v float64, op string, limit float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	ok := false
	switch op {
	case "≥":
		ok = v >= limit
	case "≤":
		ok = v <= limit
	case "<":
		ok = v < limit
	}
	if ok {
		return "met"
	}
	return "NOT met"
}

func format(v float64, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	switch unit {
	case "rps", "keys", "B/key":
		return fmt.Sprintf("%.0f", v)
	case "x":
		return fmt.Sprintf("%.2fx", v)
	case "MB", "KB/conn", "%":
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// print writes the table as Markdown, so that it pastes into the README.
func (t *table) print(w io.Writer) {
	fmt.Fprintln(w, "| figure | respd | redis | respd/redis | goal | result |")
	fmt.Fprintln(w, "|---|--:|--:|--:|---|---|")
	for _, r := range t.rows {
		fig := r.figure
		if r.unit != "" && r.unit != "x" {
			fig += " (" + r.unit + ")"
		}
		ratio := "-"
		if !math.IsNaN(r.ratio) && !math.IsInf(r.ratio, 0) {
			ratio = fmt.Sprintf("%.2f", r.ratio)
		}
		goal, met := r.goal, r.met
		if goal == "" {
			goal = "-"
		}
		if met == "" {
			met = "-"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", fig, format(r.respd, r.unit), format(r.redis, r.unit), ratio, goal, met)
	}
	if len(t.notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range t.notes {
		fmt.Fprintln(w, n)
	}
}
