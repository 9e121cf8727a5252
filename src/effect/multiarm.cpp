// Multi-arm trials sharing a control arm: combine the experimental arms (Cochrane Handbook,
// version 6, section 6.5.2.10 and table 6.5.a) or split the control (section 23.3.4).

#include "effect/multiarm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "evident/effect/convert.hpp"

namespace evident::detail {

namespace {

std::string describe(const std::array<double, 3>& arm, ArmKind kind) {
  switch (kind) {
    case ArmKind::counts:
      return fmt::format("{}/{}", show(arm[0]), show(arm[1]));
    case ArmKind::means:
      return fmt::format("mean {}, SD {}, n {}", show(arm[0]), show(arm[1]), show(arm[2]));
    case ArmKind::rates:
      return fmt::format("{} events in {}", show(arm[0]), show(arm[1]));
  }
  return {};
}

std::array<double, 3> combine(const std::vector<const ArmPair*>& members, ArmKind kind) {
  std::array<double, 3> sum = members.front()->treat;
  for (std::size_t i = 1; i < members.size(); ++i) {
    const auto& t = members[i]->treat;
    if (kind == ArmKind::means) {
      const ArmSummary c = combine_arms({sum[2], sum[0], sum[1]}, {t[2], t[0], t[1]});
      sum = {c.mean, c.sd, c.n};
    } else {
      // Events and participants (or person-time) add (table 6.5.a, dichotomous outcomes).
      sum[0] += t[0];
      sum[1] += t[1];
    }
  }
  return sum;
}

std::array<double, 3> share(std::array<double, 3> control, ArmKind kind, double parts) {
  if (kind == ArmKind::means) {
    control[2] /= parts;  // the mean and SD stay, the size is shared
  } else {
    control[0] /= parts;  // events and participants (person-time) are shared alike
    control[1] /= parts;
  }
  return control;
}

}  // namespace

std::vector<ArmPair> resolve_shared_controls(std::vector<ArmPair> pairs, ArmKind kind,
                                             const EffectOptions& options, RowReader& rows,
                                             EffectData& out) {
  const MultiArm mode = options.multiarm;
  const StudyTable& table = rows.table();
  const auto trial_column = table.find_column("trial");
  const auto within_column =
      options.multiarm_within.empty() ? std::nullopt : table.find_column(options.multiarm_within);

  // Each row's trial id; most tables repeat none, and then no control arm is shared (found by
  // sorting, before any grouping: batches check millions of small tables).
  std::vector<std::string> trial_of(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    trial_of[i] = trial_column ? std::string(trim_spaces(table.cell(pairs[i].row, *trial_column)))
                               : rows.label(pairs[i].row);
  }
  {
    std::vector<std::string_view> sorted(trial_of.begin(), trial_of.end());
    std::sort(sorted.begin(), sorted.end());
    bool repeated = false;
    for (std::size_t i = 1; i < sorted.size() && !repeated; ++i)
      repeated = !sorted[i].empty() && sorted[i] == sorted[i - 1];
    if (!repeated) return pairs;
  }

  // Groups of rows by trial id, in order of first appearance.
  std::vector<std::string> keys;
  std::vector<std::vector<std::size_t>> groups;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const std::string& key = trial_of[i];
    if (key.empty()) continue;
    auto [it, inserted] = index.emplace(key, groups.size());
    if (inserted) {
      keys.push_back(key);
      groups.emplace_back();
    }
    groups[it->second].push_back(i);
  }

  std::vector<int> group_of(pairs.size(), -1);
  std::vector<std::size_t> shared;  // indices into groups
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& members = groups[g];
    if (members.size() < 2) continue;
    const ArmPair& first = pairs[members.front()];
    bool same = true;
    for (std::size_t m : members) {
      if (pairs[m].control == first.control) continue;
      same = false;
      if (trial_column) {
        rows.problem(pairs[m].row, *trial_column,
                     fmt::format("rows of trial '{}' are read as arms sharing one control arm, "
                                 "but their control data differ (line {}: {}; this line: {}); "
                                 "give different trials different ids",
                                 keys[g], table.line(first.row), describe(first.control, kind),
                                 describe(pairs[m].control, kind)));
      }
    }
    // Without a trial column, equal labels with different controls are separate comparisons.
    if (!same) continue;
    shared.push_back(g);
    for (std::size_t m : members)
      group_of[m] = static_cast<int>(g);
  }
  if (shared.empty()) return pairs;

  MultiArmReport report;
  report.by_default = mode == MultiArm::automatic;
  report.mode = mode == MultiArm::split ? MultiArm::split : MultiArm::combine;
  for (std::size_t g : shared) {
    SharedControl s;
    s.trial = keys[g];
    std::vector<std::string> lines;
    for (std::size_t m : groups[g]) {
      s.arms.push_back(rows.label(pairs[m].row));
      s.lines.push_back(table.line(pairs[m].row));
      lines.push_back(fmt::format("{}", s.lines.back()));
    }
    const auto parts = static_cast<double>(groups[g].size());
    const auto& control = pairs[groups[g].front()].control;
    std::string what =
        report.mode == MultiArm::combine
            ? fmt::format(
                  "its {} experimental arms are combined into one comparison against "
                  "the control (Cochrane Handbook 6.5.2.10)",
                  groups[g].size())
            : fmt::format(
                  "the control ({}) is split into {} equal parts ({} each), one per "
                  "comparison (Cochrane Handbook 23.3.4)",
                  describe(control, kind), groups[g].size(),
                  describe(share(control, kind, parts), kind));
    if (report.by_default) {
      what += "; chosen by default: --multiarm combine or --multiarm split makes it explicit";
    }
    // Arms of the trial in different subgroups (EffectOptions::multiarm_within).
    std::vector<std::string> parts_seen;
    if (within_column) {
      for (std::size_t m : groups[g]) {
        const std::string v(trim_spaces(table.cell(pairs[m].row, *within_column)));
        if (std::find(parts_seen.begin(), parts_seen.end(), v) == parts_seen.end()) {
          parts_seen.push_back(v);
        }
      }
      if (parts_seen.size() > 1 && report.mode == MultiArm::combine) {
        what = fmt::format(
            "its arms are in different subgroups ({}): each subgroup compares its own arms "
            "with the whole control arm, which the test for subgroup differences therefore "
            "counts once per subgroup (--multiarm split divides it instead)",
            fmt::join(parts_seen, ", "));
      } else if (parts_seen.size() > 1) {
        what +=
            fmt::format(", so its subgroups ({}) each have a share", fmt::join(parts_seen, ", "));
      }
    }
    out.diagnostics.push_back(
        {DiagnosticCode::shared_control,
         fmt::format("{}:{}: rows of trial '{}' ({}) share one control arm: {}", table.source(),
                     fmt::join(lines, ","), s.trial, fmt::join(s.arms, "; "), what),
         s.trial});
    report.trials.push_back(std::move(s));
  }
  out.multiarm = std::move(report);

  // Each row's value in the column that separates arms (empty without one).
  auto part_of = [&](std::size_t i) {
    return within_column ? std::string(trim_spaces(table.cell(pairs[i].row, *within_column)))
                         : std::string();
  };
  std::vector<ArmPair> result;
  std::set<std::pair<int, std::string>> emitted;  // (trial group, part) already combined
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const int g = group_of[i];
    if (g < 0) {
      result.push_back(pairs[i]);
      continue;
    }
    const auto& members = groups[static_cast<std::size_t>(g)];
    if (mode == MultiArm::split) {
      // The control is shared among all the trial's arms, whatever part each arm is in.
      ArmPair p = pairs[i];
      p.control = share(p.control, kind, static_cast<double>(members.size()));
      result.push_back(p);
      continue;
    }
    const std::string part = part_of(i);
    if (!emitted.insert({g, part}).second) continue;
    std::vector<const ArmPair*> ptrs;
    for (std::size_t m : members) {
      if (part_of(m) == part) ptrs.push_back(&pairs[m]);
    }
    if (ptrs.size() == 1) {  // the trial's only arm in this part: the comparison as it is
      result.push_back(pairs[i]);
      continue;
    }
    ArmPair p = *ptrs.front();
    p.treat = combine(ptrs, kind);
    p.label = keys[static_cast<std::size_t>(g)];
    result.push_back(p);
  }
  return result;
}

}  // namespace evident::detail
