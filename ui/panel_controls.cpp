// panel_controls.cpp — the side panel: transport (play, step, reset), speed, the run's settings,
// each network's settings, and the view's options. Every control has a tooltip saying what it
// does and whether it applies live or at the next reset.
//
// [SECTION] Helpers
// [SECTION] Transport and status
// [SECTION] Run settings
// [SECTION] Networks
// [SECTION] View

#include <cmath>
#include <cstdio>

#include "ui/panel_common.h"

#include <imgui_stdlib.h>  // after imgui.h, which it needs

namespace bnlab {

namespace {

// [SECTION] Helpers

// A logarithmic slider over a double setting; true when changed.
bool log_slider(const char* label, double* value, float lo, float hi, const char* format) {
  float f = static_cast<float>(*value);
  if (!ImGui::SliderFloat(label, &f, lo, hi, format, ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp)) return false;
  *value = f;
  return true;
}

bool slider_double(const char* label, double* value, float lo, float hi, const char* format) {
  float f = static_cast<float>(*value);
  if (!ImGui::SliderFloat(label, &f, lo, hi, format, ImGuiSliderFlags_AlwaysClamp)) return false;
  *value = f;
  return true;
}

template <typename E>
bool enum_combo(const char* label, E* value, std::initializer_list<E> options) {
  bool changed = false;
  if (ImGui::BeginCombo(label, to_string(*value))) {
    for (E o : options)
      if (ImGui::Selectable(to_string(o), o == *value)) {
        *value = o;
        changed = true;
      }
    ImGui::EndCombo();
  }
  return changed;
}

// [SECTION] Transport and status

void transport(LabSession& lab, const LabState& s) {
  const float w = ImGui::GetContentRegionAvail().x;
  const float sp = ImGui::GetStyle().ItemSpacing.x;
  if (ImGui::Button(s.playing ? "❚❚ Pause" : "▶ Play", ImVec2((w - 2 * sp) * 0.4f, 0))) lab.toggle_playing();
  tip("Start or stop training (Space). Training runs on its own thread: the window never waits for it.");
  ImGui::SameLine();
  if (ImGui::Button("Step 1", ImVec2((w - 2 * sp) * 0.3f, 0))) lab.step(1);
  tip("Pause and train exactly one mini-batch (S).");
  ImGui::SameLine();
  if (ImGui::Button("Step 100", ImVec2((w - 2 * sp) * 0.3f, 0))) lab.step(100);
  tip("Pause and train exactly 100 mini-batches.");
  if (ImGui::Button("Reset", ImVec2((w - sp) * 0.5f, 0))) lab.reset();
  tip("Start every network again from the identical initial weights and data order (R). Applies settings "
      "that wait for a reset.");
  ImGui::SameLine();
  if (ImGui::Button("New seed", ImVec2((w - sp) * 0.5f, 0))) lab.new_seed();
  tip("Reset with the next random seed: new initial weights (still shared by the twins) and a new data order.");
  if (!s.undo_what.empty()) {
    if (ImGui::Button(("Undo " + s.undo_what).c_str(), ImVec2(-FLT_MIN, 0))) lab.undo();
    tip(("Bring back the run as it was before this edit: settings, step, history and every network's parameters "
         "(Ctrl+Z; momentum starts again at zero). Up to " + std::to_string(kUndoDepth) + " edits back.").c_str());
  }

  ImGui::Text("step %s", with_thousands(s.step).c_str());
  ImGui::SameLine();
  if (s.playing) ImGui::TextDisabled("· %s steps/s", with_thousands(static_cast<int64_t>(s.steps_per_second)).c_str());
  else ImGui::TextDisabled("· paused");
  if (!s.paused_why.empty()) ImGui::TextWrapped("%s", s.paused_why.c_str());
  ImGui::TextDisabled("backend: %s", s.backend.empty() ? "none" : s.backend.c_str());
  if (!s.backend_why.empty()) tip(s.backend_why.c_str());
  else tip("The training engine. The CPU reference is chosen explicitly or when no faster GPU is available.");
  if (!s.data_description.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
    ImGui::TextWrapped("data: %s", s.data_description.c_str());
    ImGui::PopStyleColor();
  }

  bool unlimited = s.speed_limit <= 0;
  if (ImGui::Checkbox("As fast as possible", &unlimited)) lab.set_speed_limit(unlimited ? 0 : 100);
  tip("Train at full speed, or limit the steps per second to watch the early steps slowly.");
  if (!unlimited) {
    float limit = static_cast<float>(s.speed_limit);
    ImGui::SetNextItemWidth(-FLT_MIN);
    if (ImGui::SliderFloat("##speed", &limit, 1, 5000, "%.0f steps/s", ImGuiSliderFlags_Logarithmic)) lab.set_speed_limit(limit);
    tip("Training speed limit, in steps per second. At 5 steps/s or less every step's statistics are measured "
        "(slow motion): the bands and histograms move with each mini-batch.");
  }

  bool pause_at = s.pause_at > 0;
  if (ImGui::Checkbox("Pause at step", &pause_at)) lab.set_pause_at(pause_at ? (s.step / 1000 + 1) * 1000 : 0);
  tip("Stop training on reaching this step, after every reset too: a demonstration stops where the lesson text "
      "says (\"near step 1,000\"), however fast it trains. Play goes on from there.");
  if (pause_at) {
    ImGui::SameLine();
    int64_t at = s.pause_at;
    const int64_t step = 100, most = 100'000'000;
    ImGui::SetNextItemWidth(-FLT_MIN);
    if (ImGui::InputScalar("##pause_at", ImGuiDataType_S64, &at, &step, nullptr, "%lld") && at >= 1 && at <= most)
      lab.set_pause_at(at);
    tip("The step to pause at (1 to 100,000,000).");
  }
  bool on_divergence = s.pause_on_divergence;
  if (ImGui::Checkbox("Pause if a network diverges", &on_divergence)) lab.set_pause_on_divergence(on_divergence);
  tip("Stop training when any network's loss becomes NaN or infinite, so the moment it blows up stays on screen.");
}

// [SECTION] Run settings

bool run_settings(RunConfig& d) {
  bool changed = false;
  if (ImGui::CollapsingHeader("Training (live)", ImGuiTreeNodeFlags_DefaultOpen)) {
    double lr = base_lr(d);
    if (log_slider("learning rate", &lr, 1e-4f, 10.f, "%.4g")) {
      set_base_lr(d, lr, 1e-4, 10);
      changed = true;
    }
    tip("The base SGD learning rate (log scale, 1e-4 to 10): the smallest network's. Every network's rate is a "
        "multiple of it (its slider below shows \"×5\"), and keeps that multiple when this moves, so a lesson's "
        "×1 / ×5 / ×30 networks stay what their names say. Applies at once. Drag it up until the network without "
        "BN diverges.");
    int batch = d.batch;
    if (ImGui::SliderInt("batch size", &batch, 1, 512, "%d", ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp)) {
      d.batch = batch;
      changed = true;
    }
    tip("Examples per mini-batch, shared by all networks (BN needs at least 2). Applies at once; the data order "
        "starts a new epoch. Small batches make BN's statistics noisy (Wu & He 2018).");
    double momentum = d.networks[0].optim.momentum;
    if (slider_double("momentum", &momentum, 0.f, 0.99f, "%.2f")) {
      for (auto& n : d.networks) n.optim.momentum = momentum;
      changed = true;
    }
    tip("Heavy-ball momentum of every network (0 = plain SGD, as in the paper). Applies at once.");
  }
  if (ImGui::CollapsingHeader("Model and data (reset to apply)")) {
    changed |= enum_combo("dataset", &d.data.kind, {DataKind::Mnist, DataKind::Mnist10k, DataKind::FashionMnist, DataKind::Spiral, DataKind::Blobs});
    tip("mnist: the full MNIST, 60,000 / 10,000 digits (installed by third_party/setup-debian.sh). mnist-10k: "
        "10,000 real digits shipped with bnlab. fashion-mnist: Debian's dataset-fashion-mnist. spiral, "
        "blobs: synthetic 2-D sets. Applies at the next reset.");
    NetworkConfig& n0 = d.networks[0];
    int layers = static_cast<int>(n0.model.hidden.size());
    int width = n0.model.hidden.empty() ? 100 : n0.model.hidden[0];
    bool shape = ImGui::SliderInt("hidden layers", &layers, 1, 6, "%d", ImGuiSliderFlags_AlwaysClamp);
    tip("Number of hidden layers of every network. Applies at the next reset.");
    shape |= ImGui::SliderInt("width", &width, 2, 512, "%d units", ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp);
    tip("Units per hidden layer. Applies at the next reset.");
    if (shape) {
      for (auto& n : d.networks) {
        n.model.hidden.assign(layers, width);
        n.model.norm.resize(layers, n.model.norm.empty() ? Norm::None : n.model.norm.back());
        n.model.dropout.resize(layers, n.model.dropout.empty() ? 0.0 : n.model.dropout.back());
      }
      changed = true;
    }
    Activation act = n0.model.activation;
    if (enum_combo("activation", &act, {Activation::Sigmoid, Activation::Tanh, Activation::Relu, Activation::Linear})) {
      for (auto& n : d.networks) n.model.activation = act;
      changed = true;
    }
    tip("The nonlinearity of every hidden layer. The paper's experiment uses sigmoid, which saturates. Applies at "
        "the next reset.");
    Init init = n0.model.init;
    if (enum_combo("initialization", &init, {Init::Gaussian, Init::Xavier, Init::He, Init::Zero})) {
      for (auto& n : d.networks) n.model.init = init;
      changed = true;
    }
    tip("How weights start: Gaussian with σ below, Xavier/Glorot, He, or zero (every unit of a layer stays identical). Twins always start from the same weights. "
        "Applies at the next reset.");
    if (init == Init::Gaussian) {
      double sigma = n0.model.init_std;
      if (log_slider("init σ", &sigma, 0.001f, 10.f, "%.3g")) {
        for (auto& n : d.networks) n.model.init_std = sigma;
        changed = true;
      }
      tip("Standard deviation of the initial weights. The paper-fig1 lesson uses 0.1; 1 saturates the sigmoids from "
          "the start. Applies at the next reset.");
    }
    changed |= enum_combo("BN at evaluation", &d.eval_stats, {EvalStats::Running, EvalStats::Batch});
    tip("Test accuracy with BN's running statistics (eval mode, Algorithm 2) or each test batch's own statistics "
        "(a model left in train mode). Applies at the next reset.");
  }
  return changed;
}

// [SECTION] Networks


// Dropout p per hidden layer (core/dropout.h), summarized in the header so that a deep network's
// settings stay one line until opened: "dropout: none", "dropout: p 0.5 every layer",
// "dropout: p 0.5, 0.2, 0".
std::string short_number(double x) {
  char text[16];
  std::snprintf(text, sizeof text, "%.2g", x);
  return text;
}

void dropout_settings(NetworkConfig& n, bool* changed) {
  if (n.model.dropout.size() != n.model.hidden.size()) n.model.dropout.resize(n.model.hidden.size(), 0.0);
  const auto& p = n.model.dropout;
  std::string summary;
  if (!any_dropout(n.model)) {
    summary = "none";
  } else if (std::all_of(p.begin(), p.end(), [&](double x) { return x == p[0]; })) {
    summary = "p " + short_number(p[0]) + " every layer";
  } else {
    for (double x : p) summary += (summary.empty() ? "p " : ", ") + short_number(x);
  }
  const std::string label = "dropout: " + summary + "###dropout";
  const bool open = ImGui::TreeNode(label.c_str());
  tip("Dropout after each hidden layer's activation, as PyTorch's nn.Dropout: in training each unit is kept with "
      "probability 1 − p and scaled by 1/(1 − p); at evaluation nothing is dropped. Applies at once.");
  if (!open) return;
  double every = *std::max_element(p.begin(), p.end());
  if (slider_double("every layer", &every, 0.f, 0.9f, "p = %.2f")) {
    std::fill(n.model.dropout.begin(), n.model.dropout.end(), every);
    *changed = true;
  }
  tip("Sets p of every hidden layer.");
  for (size_t l = 0; l < n.model.dropout.size(); ++l) {
    const std::string name = "L" + std::to_string(l + 1);
    *changed |= slider_double(name.c_str(), &n.model.dropout[l], 0.f, 0.9f, "p = %.2f");
  }
  ImGui::TreePop();
}

// One network's settings; returns what the user asked for with the buttons.
enum class NetAction { None, Duplicate, Remove };

NetAction network_settings(LabSession& lab, const LabState& s, RunConfig& d, int i, ViewOptions& v, bool* changed) {
  NetworkConfig& n = d.networks[i];
  NetAction action = NetAction::None;
  ImGui::PushID(i);
  ImGui::PushStyleColor(ImGuiCol_Text, network_color(s, i, v));
  const std::string header = "■ " + n.name + (v.selected_net == i ? "  (selected)" : "") + "###net";
  const bool open = ImGui::CollapsingHeader(header.c_str(), i < 2 ? ImGuiTreeNodeFlags_DefaultOpen : 0);
  ImGui::PopStyleColor();
  tip("This network's settings. Its colour is the same in every view.");
  if (open) {
    if (ImGui::RadioButton("selected", v.selected_net == i)) v.selected_net = i;
    tip("The network B toggles BatchNorm on.");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-FLT_MIN);
    // The name applies only while valid: an invalid one is kept in the field with the reason
    // below it, and never reaches the run, where it would refuse every other change.
    std::string typed = v.name_edit_net == i ? v.name_edit : n.name;
    if (ImGui::InputText("##name", &typed)) {
      RunConfig trial = d;
      trial.networks[i].name = typed;
      v.name_edit_net = i;
      v.name_edit = typed;
      v.name_problem = config_problem(trial);
      if (v.name_problem.empty()) {
        n.name = typed;
        *changed = true;
      }
    }
    if (v.name_edit_net == i && !ImGui::IsItemActive() && v.name_problem.empty()) v.name_edit_net = -1;
    tip("Rename this network (letters, digits, - _ .; names must differ). Applies at once; training goes on.");
    if (v.name_edit_net == i && !v.name_problem.empty()) {
      ImGui::PushStyleColor(ImGuiCol_Text, v.dark ? IM_COL32(255, 110, 110, 255) : IM_COL32(190, 0, 0, 255));
      ImGui::TextWrapped("Name not applied: %s", v.name_problem.c_str());
      ImGui::PopStyleColor();
    }
    // Shown as the rate and its multiple of the base (the global slider), e.g. "0.25 (×5)".
    const double base = base_lr(d);
    char lr_format[48];
    std::snprintf(lr_format, sizeof lr_format, "%%.4g (×%.3g)", base > 0 ? n.optim.lr / base : 1.0);
    *changed |= log_slider("lr", &n.optim.lr, 1e-4f, 10.f, lr_format);
    tip("This network's learning rate (log scale) and, in brackets, its multiple of the base rate above, which "
        "it keeps when the base moves. Applies at once.");

    // Normalization per layer.
    ImGui::TextUnformatted("normalization:");
    tip("Per hidden layer: none, BatchNorm (Ioffe & Szegedy) or LayerNorm (Ba et al.). Applies at once; weights are "
        "kept, a layer gaining BN starts γ=1, β=0 with fresh running statistics.");
    for (size_t l = 0; l < n.model.norm.size(); ++l) {
      const std::string label = "L" + std::to_string(l + 1) + " " + norm_short(n.model.norm[l]);
      // On this line while the button fits, else on the next (large text, many layers).
      const float w = ImGui::CalcTextSize(label.c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
      const float right = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + w;
      // A button may reach into the window's padding, not under its scrollbar or past its edge.
      const float edge = ImGui::GetWindowPos().x + ImGui::GetWindowWidth() - ImGui::GetStyle().WindowBorderSize - 1 -
                         (ImGui::GetScrollMaxY() > 0 ? ImGui::GetStyle().ScrollbarSize : 0.f);
      if (right <= edge) ImGui::SameLine();
      if (ImGui::Button(label.c_str())) {
        const Norm next = n.model.norm[l] == Norm::None ? Norm::Batch : n.model.norm[l] == Norm::Batch ? Norm::Layer : Norm::None;
        n.model.norm[l] = next;
        *changed = true;
      }
      tip("Click to cycle none → BN → LN for this layer.");
    }
    bool any_norm = false;
    for (Norm k : n.model.norm) any_norm |= k != Norm::None;
    if (any_norm) {
      bool pinned = !n.bn.learn_affine;
      if (ImGui::Checkbox("pin γ and β", &pinned)) {
        n.bn.learn_affine = !pinned;
        *changed = true;
      }
      tip("Pinned: γ and β stay at the values below instead of being learned — BN then only standardizes. "
          "Applies at once.");
      const auto& nets = s.history.networks();
      if (pinned) {
        // What the units hold: after Undo BN (γ = σ, β = μ per unit) or a per-layer setting they
        // differ from the pinned value, and the slider shows their mean — dragging it sets every
        // unit to one value again.
        for (int which = 0; which < 2; ++which) {
          double& pin = which ? n.bn.beta : n.bn.gamma;
          const PinnedValue p = i < static_cast<int>(nets.size()) ? pinned_value(nets[i].units, pin, which == 1)
                                                                 : PinnedValue{pin, true};
          double shown = p.value;
          if (slider_double(which ? "β" : "γ", &shown, which ? -5.f : 0.f, 5.f, p.uniform ? "%.2f" : "mean %.2f")) {
            pin = shown;
            *changed = true;
          }
          tip(which ? "The pinned shift β of every normalized unit (\"mean\": the units differ, e.g. after Undo BN; "
                      "dragging sets them all to one value)."
                    : "The pinned scale γ of every normalized unit (\"mean\": the units differ, e.g. after Undo BN; "
                      "dragging sets them all to one value).");
        }
      }
      // Per-layer γ/β: set every unit of one layer at once (they keep learning unless pinned).
      if (i < static_cast<int>(nets.size()) && ImGui::TreeNode("γ, β per layer")) {
        const auto& units = nets[i].units;
        for (size_t l = 0; l < units.size(); ++l) {
          if (units[l].gamma.empty()) continue;
          for (int which = 0; which < 2; ++which) {
            const std::vector<float>& vals = which ? units[l].beta : units[l].gamma;
            float mean = 0;
            for (float x : vals) mean += x;
            mean /= static_cast<float>(vals.size());
            const std::string label = std::string(which ? "β" : "γ") + " layer " + std::to_string(l + 1);
            if (ImGui::SliderFloat(label.c_str(), &mean, which ? -5.f : 0.f, 5.f, "%.2f"))
              lab.set_affine(i, static_cast<int>(l), which == 1, mean);
            tip("Sets this parameter of every unit of the layer to the value (shown: the current mean over units). "
                "Learned parameters keep learning from there.");
          }
        }
        ImGui::TreePop();
      }
      if (std::find(n.model.norm.begin(), n.model.norm.end(), Norm::Batch) != n.model.norm.end()) {
        if (ImGui::Button("Undo BN: γ = σ, β = μ")) lab.undo_normalization(i);
        tip("Sets each BN unit's γ to √(running variance + ε) and β to its running mean, and pins them: BN's output "
            "then ≈ its input, so the nonlinearity sees the un-normalized x again (lesson 4). Unpin to learn on.");
      }
      if (ImGui::TreeNode("BN momentum and ε")) {
        *changed |= slider_double("BN momentum", &n.bn.momentum, 0.f, 1.f, "%.3f");
        tip("Running statistics: running = (1 − m)·running + m·batch (PyTorch's convention, default 0.1). "
            "Applies at once.");
        *changed |= log_slider("ε", &n.bn.eps, 1e-8f, 1.f, "%.0e");
        tip("ε in x̂ = (x − μ)/√(σ² + ε). Applies at once.");
        *changed |= slider_double("noise mean", &n.bn.noise_mean, 0.f, 5.f, "±%.2f");
        tip("Noisy BN (Santurkar et al. 2018): each step, every BN unit's output is shifted by a mean drawn from "
            "U(−a, a) — a is this value — plus per-example Gaussian noise (next slider). Training passes only. "
            "Applies at once.");
        *changed |= slider_double("noise std", &n.bn.noise_std, 0.f, 5.f, "≤ %.2f");
        tip("Noisy BN: the per-example noise's standard deviation, drawn each step per unit from U(0, b) — b is this "
            "value. Applies at once.");
        ImGui::TreePop();
      }
    }
    dropout_settings(n, changed);
    ImGui::BeginDisabled(d.networks.size() >= kMaxNetworks);
    if (ImGui::Button("Duplicate")) action = NetAction::Duplicate;
    ImGui::EndDisabled();
    tip("Add a copy of this network as it is now — same weights, same settings — at the end of the list. It trains "
        "on the same batches from here, so change one setting of the copy (e.g. its learning rate) and watch the two "
        "part. Nothing else restarts.");
    ImGui::SameLine();
    ImGui::BeginDisabled(d.networks.size() < 2);
    if (ImGui::Button("Remove")) action = NetAction::Remove;
    ImGui::EndDisabled();
    tip("Remove this network and its curves (not the last one). The others train on undisturbed and keep their "
        "colours.");
    const std::string note = divergence_note(s, i);
    if (!note.empty()) {
      ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(200, 30, 30, 255));
      ImGui::TextWrapped("%s — change a setting (e.g. a lower learning rate) to train it again, or reset.", note.c_str());
      ImGui::PopStyleColor();
    }
  }
  ImGui::PopID();
  return action;
}

// [SECTION] View

void view_settings(ViewOptions& v) {
  if (!ImGui::CollapsingHeader("View")) return;
  ImGui::Checkbox("dark theme", &v.dark);
  tip("Light high-contrast theme for projectors, or a dark one.");
  ImGui::SameLine();
  ImGui::Checkbox("presentation", &v.presentation);
  tip("Large text and thick lines for a room.");
  if (ImGui::SliderInt("text size", &v.font_size, 0, kFontSizeCount - 1, "%d", ImGuiSliderFlags_AlwaysClamp)) v.font_auto = false;
  tip("Also + and − on the keyboard.");
  ImGui::Checkbox("text size follows the window", &v.font_auto);
  tip("The text grows with the window's height (about 47 lines at any size), until + or − chooses a size.");
  ImGui::SliderFloat("loss smoothing", &v.loss_smoothing, 0.f, 0.995f, "%.3f");
  tip("Exponential smoothing of the bold train-loss line (0 = none). The shaded band is the raw loss's range.");
  y_scale_combo(v);
  ImGui::Checkbox("percentiles of the typical unit", &v.unit_percentiles);
  tip("Percentiles tab: follow one unit of each layer (as the paper's Figure 1b/c) instead of all units.");
  const char* taps[] = {"x before normalization", "nonlinearity input", "activation output"};
  ImGui::Combo("heatmap of", &v.heatmap_tap, taps, kTapCount);
  tip("Which tap the Over time tab shows.");
  if (ImGui::Button("Keyboard help (F1)")) v.show_help = true;
}

}  // namespace

PinnedValue pinned_value(const std::vector<UnitParams>& units, double pin, bool beta) {
  double sum = 0;
  size_t count = 0;
  bool uniform = true;
  for (const UnitParams& u : units)
    for (float x : beta ? u.beta : u.gamma) sum += x, ++count, uniform &= std::abs(x - pin) < 1e-6;
  return {uniform || count == 0 ? pin : sum / static_cast<double>(count), uniform};
}

void panel_controls(LabSession& lab, const LabState& s, ViewOptions& v) {
  ImGui::TextUnformatted("bnlab");
  ImGui::SameLine();
  ImGui::TextDisabled("— Batch Normalization, live");
  transport(lab, s);

  if (!s.needs_reset.empty()) {
    ImGui::Separator();
    ImGui::PushStyleColor(ImGuiCol_Text, v.dark ? IM_COL32(255, 200, 80, 255) : IM_COL32(150, 80, 0, 255));
    ImGui::TextWrapped("Waiting for a reset:");
    for (const auto& r : s.needs_reset) {  // BulletText does not wrap: a long reason ran off the panel
      ImGui::Bullet();
      ImGui::SameLine();
      ImGui::TextWrapped("%s", r.c_str());
    }
    ImGui::PopStyleColor();
    if (ImGui::Button("Reset now to apply")) lab.reset();
    tip("These settings change the network's shape or data, so every network restarts from initial weights.");
  }
  if (!s.error.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, v.dark ? IM_COL32(255, 110, 110, 255) : IM_COL32(190, 0, 0, 255));
    ImGui::TextWrapped("%s", s.error.c_str());
    ImGui::PopStyleColor();
  }
  ImGui::Separator();

  RunConfig d = lab.desired();
  if (d.networks.empty()) return;
  bool changed = run_settings(d);
  int duplicate = -1, remove = -1;
  for (int i = 0; i < static_cast<int>(d.networks.size()); ++i) {
    const NetAction a = network_settings(lab, s, d, i, v, &changed);
    if (a == NetAction::Duplicate) duplicate = i;
    if (a == NetAction::Remove) remove = i;
  }
  ImGui::BeginDisabled(d.networks.size() >= kMaxNetworks);
  const bool add = ImGui::Button("+ Add network");
  ImGui::EndDisabled();
  tip("Add a network with the last one's settings and fresh initial weights — the ones the seed gives at step 0 — "
      "joining at the current step: a late starter next to networks that have trained. Nothing else restarts.");
  view_settings(v);

  // Settings first, so a rename typed in the same frame is in the list the edit sees.
  if (changed) lab.configure(d);
  if (add) lab.edit_network(NetworkEdit::Add);
  if (duplicate >= 0) lab.edit_network(NetworkEdit::Duplicate, duplicate);
  if (remove >= 0) {
    lab.edit_network(NetworkEdit::Remove, remove);
    // The selection stays on the same network, or moves to the one before the removed one.
    if (v.selected_net >= remove) v.selected_net = std::max(0, v.selected_net - 1);
  }
}

}  // namespace bnlab
