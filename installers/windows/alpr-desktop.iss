; Inno Setup 6 script for alpr-desktop (Windows 10/11, x64).
;
; Packs the PyInstaller one-folder build (dist\alpr-desktop\, from
; installers\alpr-desktop.spec) into one setup program. From the repository root:
;
;   pyinstaller --noconfirm --clean installers\alpr-desktop.spec
;   iscc /DAppVersion=0.1.0 installers\windows\alpr-desktop.iss
;
; Output: dist\installer\alpr-desktop-<version>-setup.exe. See installers\README.md.
;
; What the installer does NOT touch: the database and settings. They live in the
; user's profile (%LOCALAPPDATA%\alpr-desktop\, chosen by platformdirs) or on a
; PostgreSQL server, hold access records the department must keep, and survive both
; upgrades and uninstalling. Removing them is a records decision, not an uninstall step.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "alpr-desktop"
#define AppPublisher "alpr-desktop contributors"
#define AppExe "alpr-desktop.exe"
#define SourceDir "..\..\dist\alpr-desktop"

[Setup]
; The AppId identifies the product to Windows across versions: never change it.
AppId={{898A9F8F-16B9-40A7-ADF5-B3AC161D2CAB}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppComments=Licence plate reader workstation for police ALPR programs
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Workstations are managed machines: install for all users, under Program Files.
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
LicenseFile=..\..\LICENSE
SetupIconFile=..\..\resources\alpr-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
OutputDir=..\..\dist\installer
OutputBaseFilename={#AppName}-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running copy before replacing its files (it holds its libraries open).
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; A new version's folder replaces the old one whole, so no stale library of an earlier
; build is left beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Licence plate reader workstation"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; Command-line use (init, audit verify, evaluate): "{app}\alpr-desktop-cli.exe" from a
; console. It is not put on PATH, so that several versions can be installed side by side
; for acceptance testing.
