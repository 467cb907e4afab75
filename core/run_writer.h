// run_writer.h — the files a headless run leaves in its output directory.
//
//   config.json      the fully resolved run (bnlab run --config config.json reproduces it)
//   metrics.csv      step,network,train_loss,train_loss_mean,test_loss,test_acc,train_acc,diverged_at
//                    one row per network and logged step (every log_every and eval_every step,
//                    and the last); train_loss is that step's mini-batch loss, train_loss_mean the
//                    mean since the previous row; test columns are empty off eval steps
//   train_loss.csv   step,<network>,... : every step's mini-batch loss
//   layers.csv       step,network,layer,p2,p15,p50,p85,p98,unit_p2,...,unit_p98,mean,std,
//                    saturation,grad_norm,weight_norm,update_ratio,gamma_mean,gamma_std,
//                    beta_mean,beta_std — per logged step, network and hidden layer
//   histograms.csv   step,network,layer,tap,lo,hi,underflow,overflow,counts — counts is the
//                    bins' counts separated by spaces; bin i covers [lo + i·w, lo + (i+1)·w)
//   speedup.csv      reference,network,target_acc,chance_acc,reference_step,step,factor — at the
//                    end, for every ordered pair of networks (core/speedup.h; step and factor
//                    empty when the network did not reach the reference's final accuracy, and
//                    reference_step too when the reference never beat chance)
//   landscape.csv    step,network,layer,quantity,value — the meters of core/landscape.h, long
//                    format, one value per row; layer 1, 2, … (the output layer last) for ics_*,
//                    empty for the network-wide quantities; only when landscape.every > 0
//
// Rows are flushed as they are written, so an interrupted run keeps everything up to its stop.
// Every write is checked: a full disk or an I/O error throws std::runtime_error naming the file,
// and only close() tells that the last rows reached the disk.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/speedup.h"
#include "core/landscape.h"
#include "core/stats.h"

namespace bnlab {

class RunWriter {
 public:
  // Creates `dir` (and parents), locks it and writes config.json; throws std::runtime_error naming
  // the path. The lock (flock on `dir`/.bnlab.lock, released when the writer or the process ends)
  // refuses a second run into the same directory, whose rows would interleave with this one's.
  RunWriter(const std::string& dir, const RunConfig& cfg);

  // Losses of consecutive steps, (steps, networks) row-major, starting at `first_step`.
  void write_losses(int64_t first_step, const std::vector<float>& losses);
  // One logged step: rows of metrics.csv, layers.csv and histograms.csv.
  void write_snapshot(const StepStats& s, const std::vector<float>& train_loss,
                      const std::vector<float>& train_loss_mean);
  // speedup.csv from every snapshot of the run; throws std::runtime_error when it cannot be written.
  void write_speedups(const std::vector<PairSpeedup>& pairs, const Chance& chance);
  // One measurement of the meters: rows of landscape.csv.
  void write_landscape(const LandscapeStats& s);
  // Closes every file, checking that all of it was written; throws naming the first that was not.
  void close();

 private:
  // One CSV file; closed unchecked on destruction when close() did not get to it (a run that
  // failed already).
  struct Csv {
    std::string path;
    FILE* f = nullptr;
    Csv() = default;
    Csv(const Csv&) = delete;
    Csv& operator=(const Csv&) = delete;
    ~Csv() {
      if (f) std::fclose(f);
    }
  };
  void open(Csv& c, const std::string& name, const std::string& header);
  static void flush(Csv& c);
  // The lock file's descriptor; declared first, so it is released after the files are closed.
  struct Lock {
    int fd = -1;
    Lock() = default;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    ~Lock();
  };
  Lock lock_;
  std::string dir_;
  std::vector<std::string> names_;
  Csv metrics_, losses_, layers_, hist_;
  Csv landscape_;  // open when landscape.every > 0
};

}  // namespace bnlab
