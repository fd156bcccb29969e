package evaluation

import "github.com/trademon/trademon/targets"

// plan returns the targets and tasks evaluations use now.
func (s *Service) plan() ([]targets.Target, []targets.Task) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.targets, s.tasks
}

// SetPlan replaces the targets and tasks (a config reload) and asks for a refresh, so
// the next snapshot judges the new plan. The current snapshot stays until then.
func (s *Service) SetPlan(ts []targets.Target, tasks []targets.Task) {
	s.mu.Lock()
	s.targets, s.tasks = ts, tasks
	s.mu.Unlock()
	s.Notify()
}
