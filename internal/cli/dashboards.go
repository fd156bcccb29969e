package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trademon/trademon/dashboards"
)

func (a *app) dashboardsCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "dashboards [--out DIR]",
		Short: "Regenerate the Grafana dashboards",
		Long: `Write trademon's Grafana dashboards (JSON) into DIR: 目标总览 Targets overview,
指标详情 Indicator detail, 数据健康 Data health and 任务进展 Measures. They are generated
from the targets and tasks files of the config (the built-in ones by default), use the
data sources by the fixed UIDs ` + dashboards.PrometheusUID + ` and ` + dashboards.InfluxDBUID + `
(dashboards/provisioning creates them), and replace files of the same names in DIR.
The repository's dashboards/ directory holds what this command writes for the
built-in files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			ts, _, err := readTargetsFile(cfg.Targets)
			if err != nil {
				return err
			}
			tasks, _, err := readTasksFile(cfg.Tasks)
			if err != nil {
				return err
			}
			files, err := dashboards.Generate(dashboards.Input{Targets: ts, Tasks: tasks})
			if err != nil {
				return err
			}
			if err := dashboards.Write(out, files); err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintf(a.stdout, "%s/%s (uid %s)\n", out, f.Name, f.UID)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "dashboards", "directory to write the dashboard JSON into")
	return cmd
}
