#include "cli/core_demo.h"

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "core/lock.h"
#include "crypto/sodium_crypto.h"
#include "hal/sim/sim_board.h"
#include "platform/tz_zone_rules.h"
#include "store/sqlite_lock_store.h"

namespace latchkey::cli {
namespace {

using namespace latchkey::core;

// Prints every event as the lock records it.
class PrintingObserver : public LockObserver {
 public:
  void OnEvent(const Event& e) override {
    std::string line = "    event #" + std::to_string(e.seq) + " " + std::string(ToString(e.kind));
    if (e.operation) line += " " + std::string(ToString(*e.operation));
    if (e.change) line += " " + std::string(ToString(*e.change));
    if (e.data_type) line += " " + std::string(ToString(*e.data_type));
    if (e.error) line += " error=" + std::string(ToString(*e.error));
    if (e.alarm) line += " " + std::string(ToString(*e.alarm));
    if (e.door_state) line += " " + std::string(ToString(*e.door_state));
    if (e.source) line += " source=" + std::string(ToString(*e.source));
    if (e.user) line += " user=" + (e.user->all ? std::string("all") : std::to_string(e.user->index));
    if (e.actor) line += " actor=" + *e.actor;
    std::printf("%s\n", line.c_str());
  }
  void OnStatusChanged(const LockStatus&) override {}
};

// A scratch folder for the walk-through's store, removed when the walk-through ends.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "latchkey-script-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The lock's core on the same adapters as a simulated lock (a SQLite store, the simulated
// board's bolt, feedback and clock), with the clock advanced by the script instead of waited for.
class Demo {
 public:
  explicit Demo(bool fast) : fast_(fast), crypto_(crypto::RandomKey()) {}

  int Run() {
    if (scratch_.path().empty()) {
      std::fprintf(stderr, "demo: cannot make a scratch folder\n");
      return 1;
    }
    auto store = store::SqliteLockStore::Open(scratch_.path() + "/lock.db");
    if (!store.ok()) {
      std::fprintf(stderr, "demo: %s\n", store.status().ToString().c_str());
      return 1;
    }
    store_ = std::move(store).value();
    LockEnv env{&board_.clock(), &crypto_, &zones_, store_.get(), &board_.bolt(), &board_.feedback(), &observer_};
    LockConfig config;
    config.default_name = "Front door";
    auto opened = Lock::Open(config, env);
    if (!opened.ok()) {
      std::fprintf(stderr, "demo: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    lock_ = std::move(opened).value();
    const Actor owner{Source::kRemote, "owner", true};

    Step("The owner turns on auto-relock after 30 s");
    Check(lock_->UpdateSettings(SettingsPatch{.auto_relock_s = 30}, owner).status());

    Step("Alice gets a PIN (an unrestricted user is created for it)");
    CredentialRequest pin{CredentialType::kPin, std::nullopt, "246810", std::nullopt, std::nullopt, std::nullopt};
    auto alice = lock_->AddCredential(pin, owner);
    Check(alice.status());

    Step("Alice types her PIN on the keypad");
    Show(lock_->PressKeys("246810#"));
    Advance(500);
    State();

    Step("Alice opens the door and closes it behind her; 30 s later the lock relocks");
    Check(lock_->SetDoor(true));
    Check(lock_->SetDoor(false));
    Advance(31'000);
    State();

    Step("A stranger guesses five PINs: the lock locks the keypad out");
    for (int i = 0; i < 5; ++i) Show(lock_->PressKeys("11111" + std::to_string(i) + "#"));
    Step("Even Alice's right PIN is refused during the lockout");
    Show(lock_->PressKeys("246810#"));
    Advance(61'000);
    Step("After the lockout, Alice's PIN works again");
    Show(lock_->PressKeys("246810#"));
    Advance(500);

    Step("A cleaner gets a one-time (disposable) code");
    CredentialRequest once{CredentialType::kPin, std::nullopt, "135790", std::nullopt, UserType::kDisposable, std::nullopt};
    Check(lock_->AddCredential(once, owner).status());
    Show(lock_->PressKeys("135790#"));
    Show(lock_->PressKeys("135790#"));

    Step("Someone forces the cover off");
    Check(lock_->Tamper());

    Step("The log is hash-chained: verifying it end to end");
    std::vector<Event> events;
    Check(store_->ReadEvents(0, 100000, &events));
    const auto bad = VerifyChain(crypto_, Digest{}, events);
    std::printf("    %zu events, chain %s\n", events.size(), bad ? "BROKEN" : "verifies");
    std::printf("\nThe hub, the web app and `latchkey demo` with real locks come next (see README.md).\n");
    return bad ? 1 : 0;
  }

 private:
  void Step(const char* text) {
    std::printf("\n* %s\n", text);
    if (!fast_) std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  void Advance(int64_t ms) {
    for (int64_t t = 0; t < ms; t += 100) {
      board_.sim_clock().Advance(100);
      Check(lock_->Tick());
    }
  }
  void State() {
    const LockStatus s = lock_->status();
    std::printf("    lock is %s, door %s\n", std::string(ToString(s.lock_state)).c_str(),
                std::string(ToString(s.door_state)).c_str());
  }
  void Show(const Result<std::optional<Decision>>& result) {
    if (!result.ok()) {
      std::printf("    error: %s\n", result.status().ToString().c_str());
      return;
    }
    if (!*result) return;
    const Decision& d = **result;
    std::printf("    -> %s%s%s, lock %s\n", std::string(ToString(d.result)).c_str(),
                d.reason ? " (" : "", d.reason ? (std::string(ToString(*d.reason)) + ")").c_str() : "",
                std::string(ToString(d.lock_state)).c_str());
  }
  void Check(const Status& s) {
    if (!s.ok()) std::printf("    error: %s\n", s.ToString().c_str());
  }

  bool fast_;
  ScratchDir scratch_;
  hal::sim::SimBoard board_;
  std::unique_ptr<store::SqliteLockStore> store_;
  PrintingObserver observer_;
  crypto::SodiumCrypto crypto_;
  platform::TzZoneRules zones_;
  std::unique_ptr<Lock> lock_;
};

}  // namespace

int RunCoreDemo(bool fast) { return Demo(fast).Run(); }

}  // namespace latchkey::cli
